"""Selfie -> 3D avatar (``facemimic avatar3d``; the public function is ``facemimic.avatar3d``).

* :mod:`.learn`: the face model (an expression basis and a neutral shape model) learned from real
  tracked faces, shipped as ``weights/face_model.npz``;
* :mod:`.fit`: the capture stage's 478 landmarks of one photo -> a face mesh in MediaPipe's topology;
* :mod:`.head`, :mod:`.texture`, :mod:`.targets`, :mod:`.write`: the whole head, its texture, its
  140 morph targets and the VRM 1.0 / glTF file; :mod:`.api` runs them in order.
"""
