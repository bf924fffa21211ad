"""The read side: every query of the read models and of the event log, and the answers'
formats defined once.
"""
