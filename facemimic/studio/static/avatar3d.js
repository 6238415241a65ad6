// The 3D avatar panel: three.js (from the npm cache, via the import map) shows the exporters'
// procedural test head or the user's own .vrm/.glb. Morph targets are driven by the values the
// server computes for them with `facemimic export`'s alias table (frame.morphs); the head turns
// with the tracked yaw/pitch/roll. Loaded only when the libraries are installed.
export class Avatar3D {
  static async create(container) {
    const THREE = await import("three");
    const { GLTFLoader } = await import("three/addons/loaders/GLTFLoader.js");
    return new Avatar3D(container, THREE, GLTFLoader);
  }

  constructor(container, THREE, GLTFLoader) {
    this.THREE = THREE;
    this.loader = new GLTFLoader();
    const [w, h] = [container.clientWidth || 320, container.clientHeight || 320];
    this.renderer = new THREE.WebGLRenderer({ antialias: true, alpha: true });
    this.renderer.setSize(w, h);
    container.textContent = "";
    container.append(this.renderer.domElement);
    this.scene = new THREE.Scene();
    this.camera = new THREE.PerspectiveCamera(30, w / h, 0.01, 100);
    this.scene.add(new THREE.HemisphereLight(0xffffff, 0x445066, 2.2));
    const key = new THREE.DirectionalLight(0xffffff, 1.5);
    key.position.set(1, 2, 3);
    this.scene.add(key);
    this.root = null;
    this.meshes = [];
  }

  async load(url) {
    const gltf = await this.loader.loadAsync(url);
    if (this.root) this.scene.remove(this.root);
    this.root = gltf.scene;
    this.scene.add(this.root);
    this.meshes = [];
    this.root.traverse((o) => { if (o.morphTargetDictionary) this.meshes.push(o); });
    // Frame the model: look at its bounding box (the head of a full-body VRM is near its top).
    const box = new this.THREE.Box3().setFromObject(this.root);
    const size = box.getSize(new this.THREE.Vector3());
    const centre = box.getCenter(new this.THREE.Vector3());
    const tall = size.y > 2 * size.x;  // a full body: aim at the top eighth
    const target = tall ? new this.THREE.Vector3(centre.x, box.max.y - size.y * 0.07, centre.z) : centre;
    const span = tall ? size.y * 0.16 : Math.max(size.x, size.y);
    // glTF faces +z, VRM 0.x faces -z: put the camera on the side the face is on.
    const front = gltf.parser.json.extensions?.VRM ? -1 : 1;
    this.camera.position.set(target.x, target.y, target.z + front * span * 2.2);
    this.camera.lookAt(target);
    this.front = front;
    this.renderer.render(this.scene, this.camera);
    return [...new Set(this.meshes.flatMap((m) => Object.keys(m.morphTargetDictionary)))];
  }

  update(frame) {
    if (!this.root) return;
    // At most 10 redraws a second: WebGL without a GPU (software rendering) costs the CPU that
    // tracking needs; the 2D avatar and the meters keep the full rate.
    const now = performance.now();
    if (now - (this.lastDraw || 0) < 100) return;
    this.lastDraw = now;
    const morphs = frame.morphs || {};
    for (const mesh of this.meshes) {
      for (const [name, i] of Object.entries(mesh.morphTargetDictionary)) {
        if (name in morphs) mesh.morphTargetInfluences[i] = morphs[name];
      }
    }
    if (frame.present) {
      const r = Math.PI / 180;
      // VRCFT: +yaw turns to the subject's right, +pitch looks down, +roll to the left shoulder.
      this.root.rotation.set(frame.head.pitch * r, -frame.head.yaw * r * this.front, -frame.head.roll * r * this.front, "YXZ");
    }
    this.renderer.render(this.scene, this.camera);
  }
}
