"""Generated protobuf package of the pxhub contract (see proto/)."""
