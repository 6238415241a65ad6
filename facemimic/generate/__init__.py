"""Expression generation: the emotion space, prompts, the learned generator, clips.

Import the parts you need (``facemimic.generate.api.express`` …); this package imports nothing
heavy on its own.
"""
