"""api_publish: APIs as code for Huawei APIG and Tencent APIGW (plan, apply, publish, smoke, roll back)."""
