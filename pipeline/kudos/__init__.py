"""The kudos model: features from production, a gradient-boosted regressor, champion/challenger
promotion, predictions for the run's weeks (TrainKudosModel), and a command line.

    python -m pipeline.kudos predict --sport-type Run --distance-km 10 --moving-minutes 50
    python -m pipeline.kudos report
"""
