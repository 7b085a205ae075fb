"""Text-generation backends reached over the network (the local decoding loop lives in
``codegen/backend.py``). Import the backend modules directly; this package import stays
light."""
