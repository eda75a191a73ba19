"""Ingest: doors from the outside world (device gateways over HTTP; MQTT and RTSP to come)
onto the Kafka topics. Producers only: ingest never writes to the database."""
