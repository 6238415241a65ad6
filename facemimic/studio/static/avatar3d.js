// The 3D avatar panel: three.js (from the npm cache, via the import map) shows the exporters'
// procedural test head or the user's own .vrm/.glb. Morph targets are driven by the values the
// server computes for them with `facemimic export`'s alias table (frame.morphs); the head turns
// with the tracked yaw/pitch/roll. Loaded only when the libraries are installed.
// A .vrm goes through @pixiv/three-vrm when it is there: its expressions (presets and customs,
// resolved by the same alias table) are set through the VRM's expression manager, the gaze through
// its lookAt and the head pose on its head bone; without three-vrm the plain glTF path drives the
// morph targets directly.
const VRM_LOOK = ["lookUp", "lookDown", "lookLeft", "lookRight"];  // driven by lookAt, not by values
const GAZE_DEG = 45;  // VRCFT gaze units: 1.0 = 45 degrees

export class Avatar3D {
  static async create(container) {
    const THREE = await import("three");
    const { GLTFLoader } = await import("three/addons/loaders/GLTFLoader.js");
    let vrmLib = null;
    try {
      vrmLib = await import("@pixiv/three-vrm");
    } catch (e) {
      console.warn("three-vrm not available, .vrm files load as plain glTF:", e);
    }
    return new Avatar3D(container, THREE, GLTFLoader, vrmLib);
  }

  constructor(container, THREE, GLTFLoader, vrmLib) {
    this.THREE = THREE;
    this.loader = new GLTFLoader();
    if (vrmLib) this.loader.register((parser) => new vrmLib.VRMLoaderPlugin(parser));
    this.hasVrmLib = Boolean(vrmLib);
    this.vrm = null;
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
    this.vrm = gltf.userData.vrm || null;
    this.root = this.vrm ? this.vrm.scene : gltf.scene;
    this.scene.add(this.root);
    this.meshes = [];
    this.root.traverse((o) => { if (o.morphTargetDictionary) this.meshes.push(o); });
    // Combination (corrective) targets the file declares (facemimic avatar3d's brow pair): the
    // server drives them by their rule, as `facemimic export` does (studio/morph_targets.py).
    this.combinations = this.vrm ? {} : Object.assign({},
      ...(gltf.parser.json.meshes || []).map((m) => (m.extras && m.extras.combinations) || {}));
    // Each mesh's names: export resolves one vocabulary per mesh (an ARKit face and a UE face on two
    // meshes both move; ARKit and UE names on one mesh move it once)
    this.meshNames = this.vrm ? null : this.meshes.map((m) => Object.keys(m.morphTargetDictionary));
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
    this.lastUpdate = performance.now();
    if (this.vrm) this.vrm.update(0);
    this.renderer.render(this.scene, this.camera);
    if (this.vrm && this.vrm.expressionManager) {
      this.kind = "vrm";
      // The VRM's expressions are the targets (their morph binds are the avatar's business); the
      // look expressions belong to lookAt when the model has one.
      const look = this.vrm.lookAt ? VRM_LOOK : [];
      return Object.keys(this.vrm.expressionManager.expressionMap).filter((n) => !look.includes(n));
    }
    this.kind = "gltf";
    return [...new Set(this.meshes.flatMap((m) => Object.keys(m.morphTargetDictionary)))];
  }

  // What the panel shows now (the browser tests read it): expression values and lookAt angles.
  state() {
    if (!this.vrm) return { kind: this.kind };
    const em = this.vrm.expressionManager;
    const values = Object.fromEntries(Object.keys(em.expressionMap).map((n) => [n, em.getValue(n)]));
    return { kind: "vrm", expressions: values, lookAt: this.vrm.lookAt
      ? { yaw: this.vrm.lookAt.yaw, pitch: this.vrm.lookAt.pitch } : null };
  }

  update(frame) {
    if (!this.root) return;
    const morphs = frame.morphs || {};
    if (this.vrm) this.setVrm(frame, morphs);  // every frame (cheap); the drawing below is throttled
    // At most 10 redraws a second: WebGL without a GPU (software rendering) costs the CPU that
    // tracking needs; the 2D avatar and the meters keep the full rate.
    const now = performance.now();
    if (now - (this.lastDraw || 0) < 100) return;
    this.lastDraw = now;
    if (this.vrm) {
      this.vrm.update((now - this.lastUpdate) / 1000);
      this.lastUpdate = now;
      return this.renderer.render(this.scene, this.camera);
    }
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

  setVrm(frame, morphs) {
    const em = this.vrm.expressionManager;
    for (const [name, v] of Object.entries(morphs)) em.setValue(name, v);
    if (frame.present) {
      const r = Math.PI / 180;
      const { left, right } = frame.eyes;
      if (this.vrm.lookAt && left.gaze[0] !== null) {
        // VRCFT: +x looks to the subject's right, +y up; three-vrm: +yaw is the model's left, -pitch up.
        this.vrm.lookAt.yaw = -((left.gaze[0] + right.gaze[0]) / 2) * GAZE_DEG;
        this.vrm.lookAt.pitch = -((left.gaze[1] + right.gaze[1]) / 2) * GAZE_DEG;
      }
      const head = this.vrm.humanoid?.getNormalizedBoneNode("head");
      if (head) head.rotation.set(frame.head.pitch * r, -frame.head.yaw * r * this.front, -frame.head.roll * r * this.front, "YXZ");
    }
  }
}
