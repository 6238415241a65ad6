"""Selfie -> 3D avatar (``facemimic avatar3d``; the public function is ``facemimic.avatar3d``).

* :mod:`.learn`: the face model (an ARKit landmark-displacement basis and a neutral shape model)
  learned from real tracked faces, shipped as ``weights/face_model.npz``;
* :mod:`.topology`: MediaPipe's triangles and boundary loops, read from the installed wheel;
* :mod:`.fit`: one photo's 478 landmarks -> a regularised 3D face in that topology;
* :mod:`.head`: the whole head around it (skull cap, neck, ears, eyes, mouth, teeth, tongue, hair);
* :mod:`.texture`: the photo baked into the texture; iris, skin and hair colours;
* :mod:`.unit`: the learned targets kept to their part of the face and sized to FaceMimic's unit;
* :mod:`.targets`: the 52 ARKit + 88 UE morph targets; :mod:`.write`: VRM 1.0 / glTF;
* :mod:`.raster`: a NumPy rasteriser (previews, texture baking, checks);
  :mod:`.retrack`: render posed, re-track with the capture stage, compare;
* :mod:`.api`: ``avatar3d()`` and ``make_avatar()``, running them in order.
"""
