// Contract tests of the svea client against its sandbox.
