"""The emotion space shared by generation and analysis: states defined by FACS evidence
(:mod:`states`) and the one Action Unit → Unified Expressions table (:mod:`facs`).

A vocabulary, not a stage: it sits between the centre (``expressions``) and the stages that use it
(``generate`` makes expressions from states; ``analysis`` names the states it sees), so neither
stage reaches into the other for it.
"""
