// Loaded into every Node process that `npx cdk8s ...` starts in this project (.npmrc node-options):
// the settings the cdk8s CLI and jsii read from the environment, so that the plain command is quiet
// and never reaches for the network. Explicit variables still win.
process.env.CDK8S_CHECK_UPGRADE ??= "false"; // the upgrade check downloads from npmjs.org on every run
process.env.JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION ??= "20"; // jsii's Node 20 banner
