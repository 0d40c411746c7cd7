"""hpgsim: the male hypothalamic-pituitary-gonadal axis and its drugs, simulated.

Research and education software, not a medical device.
"""

__version__ = "0.1.0"

DISCLAIMER = (
    "hpgsim is research and education software, not a medical device. Its outputs are simulated "
    "predictions, not medical advice; most of the drugs it models are used off-label in men."
)
