"""Salesforce file migration: phase 1 backup, phase 2 cutover, rollback, status."""
