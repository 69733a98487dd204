"""platectl: render, check and publish the Plate GitOps platform."""
