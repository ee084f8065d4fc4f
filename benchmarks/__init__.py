"""Rapport's benchmark: a generated workload and one ``make bench`` run that measures it."""
