package secrets

import (
	"context"
	"errors"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// The environment variables [EnvAWSConfig] and [EnvEndpoint] read. In AWS
// Lambda the runtime sets the region and the credential variables for
// every function; the endpoint variables are for local runs and tests.
const (
	EnvAWSRegion             = "AWS_REGION"
	EnvAWSDefaultRegion      = "AWS_DEFAULT_REGION"
	EnvAWSAccessKeyID        = "AWS_ACCESS_KEY_ID"
	EnvAWSSecretAccessKey    = "AWS_SECRET_ACCESS_KEY"
	EnvAWSSessionToken       = "AWS_SESSION_TOKEN"
	EnvAWSEndpointURL        = "AWS_ENDPOINT_URL"
	EnvAWSIgnoreEndpointURLs = "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"
)

// ErrNoAWSCredentials is returned by [EnvAWSConfig] when the credential
// variables are not set. AWS Lambda always sets them.
var ErrNoAWSCredentials = errors.New("aws: " + EnvAWSAccessKeyID + " and " + EnvAWSSecretAccessKey + " are not set")

// ErrNoAWSRegion is returned by [EnvAWSConfig] when neither region variable
// is set. AWS Lambda always sets AWS_REGION.
var ErrNoAWSRegion = errors.New("aws: " + EnvAWSRegion + " is not set")

// EnvAWSConfig returns the AWS SDK configuration of a function running in
// AWS Lambda, built from the variables Lambda sets: the region from
// AWS_REGION (or AWS_DEFAULT_REGION) and static credentials from
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN. Clients
// built from it keep the SDK's defaults (retries, HTTP client, signing).
//
// It replaces config.LoadDefaultConfig in the Lambda functions on purpose.
// The tradeoff: LoadDefaultConfig links every credential source the SDK
// knows (shared config and credentials files, SSO and its OIDC client, STS
// for web identity and assumed roles, the container and instance metadata
// endpoints), about 0.6 MB of the Slack function's bootstrap and some
// start-up work, and a Lambda function uses none of them: in Lambda the
// environment credentials always win the default chain. Everything else
// LoadDefaultConfig would read from the environment (AWS_MAX_ATTEMPTS,
// AWS_RETRY_MODE, AWS_USE_FIPS_ENDPOINT, AWS_SDK_UA_APP_ID, profiles, …) is
// not read here: the functions set none of them. A program that runs on a
// laptop, where profiles and SSO matter, can build its config with
// LoadDefaultConfig and hand the Store a client on it with
// [WithClientFactory] (the local `streambot` command reads Secrets
// Manager only when given an ARN, and then from these variables too).
//
// The endpoint overrides are not part of the returned config, which serves
// any service: use [EnvEndpoint] for the service's client.
func EnvAWSConfig(getenv func(string) string) (aws.Config, error) {
	region := getenv(EnvAWSRegion)
	if region == "" {
		region = getenv(EnvAWSDefaultRegion)
	}
	if region == "" {
		return aws.Config{}, ErrNoAWSRegion
	}
	id, secret := getenv(EnvAWSAccessKeyID), getenv(EnvAWSSecretAccessKey)
	if id == "" || secret == "" {
		return aws.Config{}, ErrNoAWSCredentials
	}
	return aws.Config{
		Region: region,
		Credentials: aws.NewCredentialsCache(
			credentials.NewStaticCredentialsProvider(id, secret, getenv(EnvAWSSessionToken))),
	}, nil
}

// EnvEndpoint returns the endpoint URL configured for a service the way the
// AWS SDK's shared configuration does: AWS_ENDPOINT_URL_<SERVICE> (service
// is the suffix, e.g. "SECRETS_MANAGER" or "LAMBDA"), else AWS_ENDPOINT_URL,
// else "" (the SDK resolves the public endpoint); both are ignored when
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true.
func EnvEndpoint(getenv func(string) string, service string) string {
	if strings.EqualFold(getenv(EnvAWSIgnoreEndpointURLs), "true") {
		return ""
	}
	if v := getenv(EnvAWSEndpointURL + "_" + service); v != "" {
		return v
	}
	return getenv(EnvAWSEndpointURL)
}

// RegionalEndpoint returns the public endpoint of service (its endpoint
// prefix, e.g. "lambda", "dynamodb") in region, as the SDK's endpoint
// rules name it: https://SERVICE.REGION.amazonaws.com, or the domain of the
// region's partition. For the small clients that sign their own requests
// instead of linking the SDK's client of the service.
func RegionalEndpoint(service, region string) string {
	suffix := "amazonaws.com"
	for _, p := range []struct{ prefix, suffix string }{
		{"cn-", "amazonaws.com.cn"},
		{"us-isob-", "sc2s.sgov.gov"},
		{"us-isof-", "csp.hci.ic.gov"},
		{"us-iso-", "c2s.ic.gov"},
		{"eu-isoe-", "cloud.adc-e.uk"},
	} {
		if strings.HasPrefix(region, p.prefix) {
			suffix = p.suffix
			break
		}
	}
	return "https://" + service + "." + region + "." + suffix
}

// newEnvClient builds the Secrets Manager client from the process
// environment with [EnvAWSConfig] and AWS_ENDPOINT_URL_SECRETS_MANAGER: the
// default client factory of a [Store].
func newEnvClient(getenv func(string) string) (GetSecretValueAPI, error) {
	cfg, err := EnvAWSConfig(getenv)
	if err != nil {
		return nil, err
	}
	return NewClient(cfg, EnvEndpoint(getenv, "SECRETS_MANAGER")), nil
}

// defaultClientFactory reads the process environment, as the AWS SDK
// does, not the Store's getenv (which serves the secret variables and may
// be a map in tests).
func defaultClientFactory(context.Context) (GetSecretValueAPI, error) {
	return newEnvClient(os.Getenv)
}
