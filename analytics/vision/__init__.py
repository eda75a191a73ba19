"""Vision analytics: tracking at city frame rates, line counts, traffic windows, incidents."""
