#!/usr/bin/env python3
"""The reference app: exactly what a team writes. ``-c app=stack|infra`` picks one app; none builds both."""

from cora_constructs.apps import main
from stacks import MODULE_STACKS

main(module_stacks=MODULE_STACKS)
