// Contract tests of the assist client against its sandbox.
