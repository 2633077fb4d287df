"""Transform a SAM template to CloudFormation JSON, as `sam deploy` would.

Usage: python3 sam_transform.py TEMPLATE > OUT.json  (AWS_DEFAULT_REGION must be set)

Used by infra/template_test.go. Local CodeUri paths are replaced with an S3
location first, as `sam package` does; no AWS call is made (the managed
policy loader is never needed: the template names no managed policies).
"""
import json
import sys

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


class NoManagedPolicies:
    """A ManagedPolicyLoader that knows no policy names (and calls no IAM)."""

    def load(self):
        return {}


def main(path):
    with open(path) as f:
        template = yaml_parse(f.read())
    scopes = [template.get("Globals", {}).get("Function", {})]
    scopes += [r.get("Properties", {}) for r in template.get("Resources", {}).values()]
    for scope in scopes:
        uri = scope.get("CodeUri")
        if isinstance(uri, str) and not uri.startswith("s3://"):
            scope["CodeUri"] = "s3://streambot-test-bucket/streambot.zip"
    parameters = {
        "SlackSigningSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:streambot/slack-signing-AbCdEf",
        "SlackBotTokenArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:streambot/slack-bot-AbCdEf",
        "AtlasSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:streambot/atlas-AbCdEf",
    }
    json.dump(transform(template, parameters, NoManagedPolicies()), sys.stdout, indent=1, sort_keys=True)


if __name__ == "__main__":
    main(sys.argv[1])
