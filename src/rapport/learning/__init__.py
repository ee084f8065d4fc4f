"""The adaptive layer: outcome join, learners, the model registry, off-policy evaluation."""
