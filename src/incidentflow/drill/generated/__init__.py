"""Generated drills: paths planned to cover every state, transition and timer of each level.

- :mod:`.plan`: the level's view of the process and the paths that cover it (pure);
- :mod:`.run`: play the paths through the engine on a simulated clock, plan again around
  what the engine refused, and probe every ``distinct_holders`` policy;
- :mod:`.report`: the coverage and the problems, as text, JSON or Markdown.
"""

from incidentflow.drill.generated.report import DrillReport
from incidentflow.drill.generated.run import drill

__all__ = ["DrillReport", "drill"]
