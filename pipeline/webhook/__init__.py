"""Strava's push events (webhooks): the receiver, the subscription commands, the stored events.

The receiver stores each event in the state store and answers; it never touches the warehouse.
``ApplyEvents`` (pipeline/tasks/apply_events.py) applies the stored events later.
"""
