"""Serum FSH on recombinant FSH in gonadotropin-deficient men (docs/research/drug_sources.md section 6,
docs/research/physiology_sources.md section 25).

Labs are the simulator's 08:00 samples; the bands are the published medians and ranges, not fitted to the model.
The exposure is set from the only direct measurement in men (fsh_drug_cl 0.45 L/h, physiology_sources sections 25
and 27): the Gonal-f SmPC's iv clearance 0.6 L/h (a value from women) left serum FSH about 25% low.
"""

import numpy as np
import pytest

from hpgsim.simulate import simulate

RISING = ["FSH 75 IU IM daily for 1 week", "FSH 150 IU IM daily from day 7 to day 14",
          "FSH 225 IU IM daily from day 14 to day 21"]
PUBLISHED = ((7.3, 4.3, 2.0, 8.5), (14.3, 8.4, 4.9, 17.8), (21.3, 13.6, 5.6, 28.4))  # day, median, range (IU/L)


def _fsh_on(frame, day):
    return float(frame.fsh.iloc[int(np.argmin(np.abs(frame.day.to_numpy() - day)))])


@pytest.fixture(scope="module")
def rising():
    return simulate("congenital_hh", RISING, days=22).to_frame()


def test_daily_im_rfsh_rising_doses_keep_serum_fsh_inside_the_published_ranges_and_proportional_to_dose(rising):
    """'Serum hormone concentrations during treatment with multiple rising doses of recombinant FSH (Puregon) in
    men with hypogonadotropic hypogonadism' (Fertil Steril 1996; 9 men): median FSH 0.5 -> 4.3 (range 2.0-8.5),
    8.4 (4.9-17.8) and 13.6 (5.6-28.4) IU/L after a week each of 75, 150 and 225 IU IM daily: linear in the dose."""
    got = [_fsh_on(rising, day) for day, *_ in PUBLISHED]
    for g, (_, _, lo, hi) in zip(got, PUBLISHED):
        assert lo < g < hi
    assert got[1] / got[0] == pytest.approx(8.4 / 4.3, rel=0.15)
    assert got[2] / got[0] == pytest.approx(13.6 / 4.3, rel=0.15)


def test_daily_im_rfsh_rising_doses_give_the_published_median_serum_fsh(rising):
    for day, median, _, _ in PUBLISHED:
        assert abs(_fsh_on(rising, day) / median - 1.0) < 0.15


def test_rfsh_150_iu_three_times_weekly_gives_the_serum_fsh_the_daily_data_imply():
    """150 IU SC 3x/week is 64 IU/day: the Puregon medians (~0.055 IU/L per IU/day, linear) imply 3.5-4 IU/L."""
    f = simulate("congenital_hh", ["FSH 150 IU SC 3x/week"], days=70).to_frame()
    mean = float(f.fsh[f.day > 42].mean())
    assert 3.3 < mean < 4.4
