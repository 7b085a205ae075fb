"""Draft refinement helpers (plain torch): protect composite + drift report, BAGEL resolution
snapping, cheap latent previews."""
