"""The IOC dashboard (Dash): /control, /cameras, /wall, /replay; all live data via the API."""
