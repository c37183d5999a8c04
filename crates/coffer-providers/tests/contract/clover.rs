// Contract tests of the clover client against its sandbox.
