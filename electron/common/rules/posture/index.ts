// Posture: CIS checks over container configuration and the "mark as expected" writer.
export { POSTURE_CHECKS, runPostureChecks, postureRuleId, postureExpectationKeys, type PostureCheck, type PostureHost, type PostureOptions } from './checks';
export { markExpected, ExpectationError, POSTURE_EXPECTED_LIST, type ExpectationScope } from './expectations';
export { execPostureFindings, type ContainerExecInfo } from './exec';
