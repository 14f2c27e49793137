"""The course's grader: nbgrader underneath, wrapped as a pipeline of named steps (`python -m autograde`)."""
