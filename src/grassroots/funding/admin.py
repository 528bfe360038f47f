from django.contrib import admin

from grassroots.core.admin import ReadOnlyAdmin

from .models import Call, Criterion, Envelope, Program, ServiceCategory

admin.site.register(ServiceCategory, ReadOnlyAdmin)
admin.site.register(Program, ReadOnlyAdmin)
admin.site.register(Envelope, ReadOnlyAdmin)
admin.site.register(Call, ReadOnlyAdmin)
admin.site.register(Criterion, ReadOnlyAdmin)
