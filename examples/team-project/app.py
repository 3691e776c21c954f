#!/usr/bin/env python3
"""The shop team's CDK app: both apps come from cora-constructs (-c app=infra|stack, or both)."""

from orders_stack import OrdersStack

from cora_constructs.apps import main

main(module_stacks={"orders": OrdersStack})
