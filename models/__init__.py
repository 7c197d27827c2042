"""Person detection: ONNX sessions, execution providers, model adapters and the model manifest.

Import what you need from the submodules (models.detector.Detector, models.errors.ModelError,
models.types.Detections); this package file stays empty so that importing models.types does
not load onnxruntime.
"""
