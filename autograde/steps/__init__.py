"""The pipeline's steps, one module per command, in the order a course runs them.

release → student_env (a course_lib for credit) → collect / exchange → grade → feedback → report → export;
student (validate, submit) is the learner's side of the same steps, demo runs them all on a small class.
A step imports the engine (`autograde.engine`), a backend (`autograde.backends`) and the course folder
(`autograde.gradebook`), never the command line.
"""
