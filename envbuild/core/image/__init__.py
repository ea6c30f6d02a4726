"""What an image is made of and how it is built: the engine's interface, builders, base images, the project
wheel, render, the image plan, the start-up surface. Pure."""
