"""The course folder nbgrader works in: where things are (`course`), its `nbgrader_config.py` (`config_file`) and
the gradebook's address (`db`). The bottom of the grader: it imports nothing else of the kit.

A course folder's `nbgrader_config.py` calls `course.configure_nbgrader`, the one name of the kit it needs.
"""
