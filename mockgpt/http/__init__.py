"""HTTP plumbing under the routes: sending a ``Reply`` as each family writes it."""
