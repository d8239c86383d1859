"""The explored ranges live beside the parameters and stay inside their allowed ranges."""

from model.core.parameters import EXPLORED_RANGES, SPECS


def test_every_explored_range_is_a_parameter_inside_its_spec():
    for key, (low, high, why) in EXPLORED_RANGES.items():
        spec = SPECS[key]
        assert spec.low <= low < high <= spec.high, key
        assert why.strip(), key


def test_the_new_reasons_are_explored():
    for key in ("levers.russia_west_relations", "russia.weights.west_forfeit",
                "north_korea.weights.china_dependence", "dynamics.china_food_lever",
                "dynamics.treaty_exit_cost", "dynamics.designation_reroute",
                "dynamics.coalition_build", "dynamics.enforcer_adaptation"):
        assert key in EXPLORED_RANGES, key
