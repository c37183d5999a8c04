// Contract tests of the processout client against its sandbox.
