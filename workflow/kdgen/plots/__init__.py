"""Figures and tables: functions that take arrays and return matplotlib figures or pandas tables."""
