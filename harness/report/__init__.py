"""Reports: what a run measured (Result), its text, story, trace, plots and comparisons, the JSON schema,
and where output files go."""
