"""Every checker rule, one small module each; importing this package registers them."""

from callflow.check.rules import (  # noqa: F401
    flow001_undeclared_entity,
    flow002_timer_left_running,
    flow003_resource_leak,
    flow004_action_not_ended,
    flow005_deleted_entity_used,
    flow006_unreachable_leg,
    flow007_message_misclassified,
)
