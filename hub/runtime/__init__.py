"""Process plumbing shared by the hub, the member SDK and the flows: durable files and logging."""
