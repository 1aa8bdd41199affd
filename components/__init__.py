"""Resources (ComponentResources) and the pure render/validate modules they use."""
