"""pxhub.v1: generated from the .proto files beside this module. Do not edit."""
