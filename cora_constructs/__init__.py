"""cora-constructs: AWS CDK v2 constructs that make the CORA Lambda standards impossible to break."""
