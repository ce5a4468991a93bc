"""Which notebooks of the table of contents are appendices rather than chapters.

An appendix teaches a tool the chapters use (the TensorFlow and Keras on-ramp), not the
subject: it has the chapters' shape (objectives, self-check, summary, exercises with
solutions, references) but two exercises instead of four and no autograded assignment,
since what it teaches is graded where it is used, in the MMoE and PLE chapters' assignments.
"""

APPENDICES = ("tf_keras",)
APPENDIX_EXERCISES = 2
