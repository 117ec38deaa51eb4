"""The form of a recipient's bound glance, shared by the recipient and options flows.

For each field of the glance (title, text, subtext, count, percent) the form
offers an entity, whose state the field shows, or a template; and the device
whose widget shows it (none: every device). A field may have one of the two,
not both. A form left empty removes the binding.

It is reached from a recipient's Reconfigure and, for the primary recipient,
from the entry's options, through the switch "Set up the glance next".
"""

from collections.abc import Mapping
from typing import Any, Final

from homeassistant.helpers.selector import (
    BooleanSelector,
    EntitySelector,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TemplateSelector,
)
import probatio

from .config_flow_checks import Checked
from .glances import ATTR_DEVICE, ENTITY_SUFFIX, GLANCE_FIELDS, TEMPLATE_SUFFIX

# The switch, on the form before, that leads to the glance's form.
CONF_EDIT_GLANCE: Final = "edit_glance"
EDIT_GLANCE_FIELD: Final = {
    probatio.Optional(CONF_EDIT_GLANCE, default=False): BooleanSelector()
}


def glance_schema(devices: list[str]) -> probatio.Schema:
    """Build the glance's form: its device (if any), then each field's source."""
    fields: dict[Any, Any] = {}
    if devices:
        fields[probatio.Optional(ATTR_DEVICE)] = SelectSelector(
            SelectSelectorConfig(options=devices, mode=SelectSelectorMode.DROPDOWN)
        )
    for field in GLANCE_FIELDS:
        fields[probatio.Optional(f"{field}{ENTITY_SUFFIX}")] = EntitySelector()
        fields[probatio.Optional(f"{field}{TEMPLATE_SUFFIX}")] = TemplateSelector()
    return probatio.Schema(fields)


def check_glance(
    checked: Checked, user_input: Mapping[str, Any], devices: list[str]
) -> dict[str, Any]:
    """Check the form; return the binding to store (only what was given).

    The selectors check the rest: a template's syntax, an entity's id, a
    device among those offered (a stored one the key lost is offered, and
    refused here).
    """
    config = {key: value for key, value in user_input.items() if value}
    for field in GLANCE_FIELDS:
        entity_key, template_key = (
            f"{field}{ENTITY_SUFFIX}",
            f"{field}{TEMPLATE_SUFFIX}",
        )
        if entity_key in config and template_key in config:
            checked.add(template_key, "glance_entity_and_template")
    device = config.get(ATTR_DEVICE)
    if device is not None and device not in devices:
        checked.add(
            ATTR_DEVICE, "invalid_device", device=device, devices=", ".join(devices)
        )
    return config


def offered_devices(devices: list[str], config: Mapping[str, Any]) -> list[str]:
    """Offer the key's devices, and a stored one it no longer has (then refused)."""
    stored = config.get(ATTR_DEVICE)
    return [*devices, stored] if stored and stored not in devices else devices
