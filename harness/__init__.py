"""The suite's library: brings the platform up on a target, drives it, and tears it down.

Plain Python with no behave import: the step definitions in features/steps are thin adapters over it.
"""
