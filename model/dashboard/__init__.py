"""The interactive dashboard (Mesa's SolaraViz): ``python run.py dashboard`` serves
``model/dashboard/app.py``. Needs the ``dashboard`` extra and, offline, its front-end
assets (``python -m model.dashboard.assets``)."""

import warnings

# Solara's hook checker flags a conditional early return inside Mesa 3.3.1's own
# ComponentsView when mesa.visualization is imported; it is Mesa's code, not ours.
warnings.filterwarnings("ignore", message=r".*ComponentsView: `use_state` found despite",
                        category=UserWarning)
