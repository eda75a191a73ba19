"""City simulators: sensors, citizen reports and traffic cameras, driven by one scenario clock."""
