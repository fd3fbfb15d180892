import subprocess

import psutil

from harness.system.memory import MemoryPeak


def test_the_peak_is_the_largest_sum_seen_and_names_its_largest_processes():
    child = subprocess.Popen(["sleep", "30"])
    try:
        me, sleeper = psutil.Process(), psutil.Process(child.pid)
        peak = MemoryPeak()
        peak.sample([sleeper], after_s=1.0)
        alone = peak.peak_bytes
        peak.sample([me, sleeper], after_s=2.0)
        assert peak.peak_bytes > alone > 0
        assert peak.peak_after_s == 2.0
        assert [name for name, _ in peak.largest_at_peak] == [me.name(), "sleep"]
        peak.sample([sleeper], after_s=3.0)
        assert peak.peak_after_s == 2.0, "a smaller sum does not move the peak"
    finally:
        child.kill()
        child.wait()
    peak.sample([sleeper], after_s=4.0)  # a process gone between listing and reading is skipped
    assert "GiB (sum of PSS" in peak.text() and peak.as_dict()["largest"][1][0] == "sleep"


def test_the_sampler_thread_measures_the_suite_and_stops():
    peak = MemoryPeak(interval_s=0.05)
    peak.start()
    child = subprocess.Popen(["sleep", "1"])
    child.wait()
    peak.stop()
    assert peak.peak_bytes >= psutil.Process().memory_info().rss * 0.5
