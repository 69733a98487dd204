"""The application layer: the Plate services, their namespace and their routes at the Gateway."""
